// YendorAnnotator: see README.md's module map.
