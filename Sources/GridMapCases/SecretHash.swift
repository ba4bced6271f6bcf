import CCrypto
import Foundation

/// Accounts' secrets, kept only as a slow salted hash: PBKDF2-HMAC-SHA256 at OWASP's work factor
/// for it (600,000 iterations, 2023 Password Storage Cheat Sheet), a 16-byte random salt, written
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64) so that a later factor can be read beside the
/// old. The one place libcrypto is called.
public enum SecretHash {
    public static let iterations = 600_000
    static let scheme = "pbkdf2-sha256"

    /// `count` bytes from the operating system's generator, through OpenSSL.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { fatalError("libcrypto has no random bytes") }
        return bytes
    }

    /// A new secret to show once: 24 random bytes, base64url without padding (32 characters).
    public static func newSecret() -> String {
        Data(randomBytes(24)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func derive(_ secret: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = secret.withUnsafeBufferPointer { s in
            PKCS5_PBKDF2_HMAC(s.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                              Int32(s.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &out)
        }
        guard ok == 1 else { fatalError("libcrypto's PBKDF2 failed") }
        return out
    }

    /// The stored form of `secret`, with a new salt.
    public static func hash(_ secret: [UInt8], iterations: Int = iterations) -> String {
        let salt = randomBytes(16)
        let derived = derive(secret, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `secret` is the one `stored` was made from (compared in constant time).
    public static func verify(_ secret: [UInt8], _ stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == scheme, let n = Int(parts[1]), n > 0,
              let salt = Data(base64Encoded: parts[2]), let expected = Data(base64Encoded: parts[3])
        else { return false }
        let derived = derive(secret, salt: [UInt8](salt), iterations: n)
        var diff: UInt8 = derived.count == expected.count ? 0 : 1
        for (a, b) in zip(derived, expected) { diff |= a ^ b }
        return diff == 0
    }

    /// SHA-256 of `bytes`: the key under which a verified secret is remembered, never the secret.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = SHA256(bytes, bytes.count, &out)
        return out
    }
}
