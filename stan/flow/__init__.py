"""Flow stage: optical flow between consecutive frames (OpenCV backends and FlowNet2)."""
