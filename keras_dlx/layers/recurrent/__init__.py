"""The recurrent family."""

from keras_dlx.layers.recurrent.coupled_lstm import CoupledLSTM, CoupledLSTMCell
from keras_dlx.layers.recurrent.esn import ESN, ESNCell
from keras_dlx.layers.recurrent.layer_norm_lstm import LayerNormLSTM, LayerNormLSTMCell
from keras_dlx.layers.recurrent.layer_norm_simple_rnn_cell import LayerNormSimpleRNNCell
from keras_dlx.layers.recurrent.nas_cell import NASCell
from keras_dlx.layers.recurrent.peephole_lstm import PeepholeLSTM, PeepholeLSTMCell

__all__ = ["CoupledLSTM", "CoupledLSTMCell", "LayerNormLSTM", "LayerNormLSTMCell", "PeepholeLSTM",
           "PeepholeLSTMCell"]
__all__ += ["ESN", "ESNCell", "LayerNormSimpleRNNCell", "NASCell"]
