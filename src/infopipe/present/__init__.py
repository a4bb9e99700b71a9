"""The presentation: panels, layout, text fitting, colours, templates, rasters."""
