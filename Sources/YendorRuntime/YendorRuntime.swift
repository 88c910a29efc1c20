// YendorRuntime: see README.md's module map.
