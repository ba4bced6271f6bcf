import Foundation
import GridMapGeometry

/// One information category of the catalogue (in the style of GB/T 30428.2's event classes:
/// 大类 and 小类 digits in the code).
public struct Category: Equatable, Sendable {
    public var code: String
    public var name: String
    /// The 大类's name.
    public var group: String
    /// The department that must act, or nil: the 属地 handles it.
    public var departmentID: String?
    public var handler: Handler
    public var timeLimitHours: Int
    public var keywords: [String]
    /// Whether the limit counts every hour or working days' only (`time_basis`, optional).
    public var timeBasis: TimeBasis = .natural
    public var properties: JSONObject
    /// What a report of it answers besides its description (`attributes`, optional).
    public var attributes: [ServiceAttribute] = []
}
