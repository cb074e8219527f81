"""STAN: video salient object detection with spatiotemporal attention networks."""
