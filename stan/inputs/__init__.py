"""Network inputs shared by training and prediction: frames and motion inputs at the network size,
and the cached features of the frozen backbone."""
