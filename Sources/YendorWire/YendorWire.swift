// YendorWire: see README.md's module map.
