"""Motion baselines: saliency from camera-compensated optical flow."""
