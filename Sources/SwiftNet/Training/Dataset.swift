/// Samples held by the caller (e.g. NumPy arrays), read in place: `x` has `count` samples of
/// `sampleShape`; `y`, when present, `count` targets of `targetShape`.
public struct Dataset {
    public let x: UnsafePointer<Float>
    public let count: Int
    public let sampleShape: [Int]
    public let y: UnsafePointer<Float>?
    public let targetShape: [Int]

    public init(x: UnsafePointer<Float>, shape: [Int], y: UnsafePointer<Float>? = nil, targetShape: [Int] = []) {
        self.x = x
        count = shape.first ?? 0
        sampleShape = Array(shape.dropFirst())
        self.y = y
        self.targetShape = y == nil ? [] : Array(targetShape.dropFirst())
    }

    public var sampleSize: Int { sampleShape.reduce(1, *) }
    public var targetSize: Int { targetShape.reduce(1, *) }

    /// Copies the samples at `order[start..<start + n]` into `x`/`y` batch buffers.
    func gather(start: Int, count n: Int, order: [Int], x dst: UnsafeMutablePointer<Float>, y yDst: UnsafeMutablePointer<Float>?) {
        let size = sampleSize, tsize = targetSize
        for i in 0..<n {
            let s = order[start + i]
            (dst + i * size).update(from: x + s * size, count: size)
            if let y, let yDst { (yDst + i * tsize).update(from: y + s * tsize, count: tsize) }
        }
    }
}
