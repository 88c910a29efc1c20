// ZeroMQ: see README.md's module map.
