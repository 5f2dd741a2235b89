/// Versions reported by the executables and recorded in packets.
public enum ISRVersion {
    /// The software release.
    public static let software = "0.1.0"
    /// The packet format this build reads and writes.
    public static let packetFormat = Int(SealedPacket.version)
}
