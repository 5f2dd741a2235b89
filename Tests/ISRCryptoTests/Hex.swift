import ISRCrypto

extension Array where Element == UInt8 {
    init(hex: String) { self = Hex.decode(hex)! }
    var hex: String { Hex.encode(self) }
}
