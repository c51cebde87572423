extension UnsafeBufferPointer<Int> {
    /// The elements `start..<end` as a buffer of their own, indexed from zero, so that runs of
    /// credits can be handed down without copying.
    func run(_ start: Int, _ end: Int) -> UnsafeBufferPointer<Int> {
        UnsafeBufferPointer(rebasing: self[start..<end])
    }
}
