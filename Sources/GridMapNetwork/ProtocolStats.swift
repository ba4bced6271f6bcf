/// Another protocol's request counts, as `/metrics` reports them beside HTTP's own: the RESP
/// server's `ServerStats` is one, so HTTP reads them without depending on the RESP skin.
public protocol ProtocolStats: Sendable {
    /// The label the counts carry (`resp`).
    var protocolName: String { get }
    /// Each command's calls and failures so far.
    func commandTotals() -> [(name: String, calls: Int, errors: Int)]
    var openConnections: Int { get }
    /// Latency histograms, already in Prometheus text.
    func prometheusLatency() -> String
}
