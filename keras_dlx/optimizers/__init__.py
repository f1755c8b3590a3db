"""Optimizers and learning-rate schedules that Keras 3 lacks: `from keras_dlx import optimizers`."""

from keras_dlx.optimizers.adabelief import *  # noqa: F401,F403
from keras_dlx.optimizers.adabelief import __all__ as _adabelief
from keras_dlx.optimizers.cocob import *  # noqa: F401,F403
from keras_dlx.optimizers.cocob import __all__ as _cocob
from keras_dlx.optimizers.conditional_gradient import *  # noqa: F401,F403
from keras_dlx.optimizers.conditional_gradient import __all__ as _conditional_gradient
from keras_dlx.optimizers.cyclical_learning_rate import *  # noqa: F401,F403
from keras_dlx.optimizers.cyclical_learning_rate import __all__ as _cyclical_learning_rate
from keras_dlx.optimizers.lazy_adam import *  # noqa: F401,F403
from keras_dlx.optimizers.lazy_adam import __all__ as _lazy_adam
from keras_dlx.optimizers.lookahead import *  # noqa: F401,F403
from keras_dlx.optimizers.lookahead import __all__ as _lookahead
from keras_dlx.optimizers.novograd import *  # noqa: F401,F403
from keras_dlx.optimizers.novograd import __all__ as _novograd
from keras_dlx.optimizers.proximal_adagrad import *  # noqa: F401,F403
from keras_dlx.optimizers.proximal_adagrad import __all__ as _proximal_adagrad
from keras_dlx.optimizers.rectified_adam import *  # noqa: F401,F403
from keras_dlx.optimizers.rectified_adam import __all__ as _rectified_adam
from keras_dlx.optimizers.swa import *  # noqa: F401,F403
from keras_dlx.optimizers.swa import __all__ as _swa
from keras_dlx.optimizers.yogi import *  # noqa: F401,F403
from keras_dlx.optimizers.yogi import __all__ as _yogi

__all__ = [
    *_adabelief,
    *_cocob,
    *_conditional_gradient,
    *_cyclical_learning_rate,
    *_lazy_adam,
    *_lookahead,
    *_novograd,
    *_proximal_adagrad,
    *_rectified_adam,
    *_swa,
    *_yogi,
]
