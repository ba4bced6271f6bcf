import Testing
import GridMapCore
import GridMapNetwork
import GridMapStores
import GridMapPlanning

@Suite struct AuthThrottleTests {
    @Test func failuresLockOutTheirAddressOnly() {
        let config = Credentials(readerPassword: "right")
        let pass = Array("right".utf8), wrong = Array("wrong".utf8)
        for _ in 0..<(AuthThrottle.freeFailures - 1) {
            #expect(config.authenticate(user: nil, password: wrong, from: "10.0.0.9") == .denied)
        }
        #expect(config.authenticate(user: nil, password: pass, from: "10.0.0.9") == .granted(.reader))
        // A success clears the count: five more failures are needed before a lockout.
        for _ in 0..<AuthThrottle.freeFailures {
            #expect(config.authenticate(user: nil, password: wrong, from: "10.0.0.9") == .denied)
        }
        guard case .throttled(let seconds) = config.authenticate(user: nil, password: pass, from: "10.0.0.9") else {
            Issue.record("the sixth attempt should be throttled")
            return
        }
        #expect(seconds >= 1 && seconds <= AuthThrottle.maxLockoutSeconds)
        #expect(config.authenticate(user: nil, password: pass, from: "10.0.0.10") == .granted(.reader))
        // Copies of the credentials (RESP's and HTTP's) share one throttle.
        let copy = config
        #expect(copy.authenticate(user: nil, password: pass, from: "10.0.0.9") != .granted(.reader))
    }
}
