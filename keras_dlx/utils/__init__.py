"""Small helpers shared by keras_dlx layers."""
