extension Array where Element == Float {
    /// Sets the count to `count`, keeping capacity when shrinking and zero-filling new
    /// elements, so scratch buffers that alternate between sizes stop allocating.
    public mutating func resize(to count: Int) {
        if count < self.count {
            removeLast(self.count - count)
        } else if count > self.count {
            append(contentsOf: repeatElement(0, count: count - self.count))
        }
    }
}
