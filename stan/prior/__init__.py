"""The motion prior (STAN section 3, after its ref. 48): superpixels of the optical-flow image,
AlexNet features per superpixel and a three-layer fully connected scorer; one 8-bit map per frame.
"""
