"""The 调研报告: document model, layouts, builder, renderers and charts (no Flask)."""
