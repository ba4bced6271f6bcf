// swift-tools-version: 6.0
import PackageDescription

let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "gridmap",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gridmap", targets: ["GridMapCLI"]),
        .executable(name: "gridmap-datagen", targets: ["GridMapDataGen"]),
        .executable(name: "gridmap-bench", targets: ["GridMapBench"]),
        .library(name: "GridMapCore", targets: ["GridMapCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // Already in the build through Hummingbird; named for its HTTP/1 ⇄ HTTP types codec.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CGEOS", path: "Sources/CGEOS", pkgConfig: "geos",
                       providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", path: "Sources/CPROJ", pkgConfig: "proj",
                       providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        // libpq from Debian (libpq-dev), wrapped once (GridMapPostgres/PostgreSQL.swift): multi-host
        // connection strings with target_session_attrs, COPY, LISTEN/NOTIFY; nothing to build.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        // OpenSSL's libcrypto from Debian (libssl-dev, which libpq-dev already brings), wrapped once
        // (GridMapCases/SecretHash.swift): PBKDF2 for the accounts' secrets and random bytes for them.
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "CGridMapSupport"),
        // The engine in rooms, each target depending only on those above it in this list, so that
        // a dependency the other way is a compiler error (docs/ARCHITECTURE.md draws the graph
        // from `swift package dump-package`).
        // Geometry and coordinates: GEOS, PROJ, GeoJSON and JSON, the grid index, support.
        // Full cross-module optimisation in release builds of the engine's targets: the small and
        // generic functions called across targets (the index, number parsing and writing, the
        // parallel maps, geometry helpers) are then inlined and specialised where they are
        // called, as they were when the engine was one module.
        .target(name: "GridMapGeometry", dependencies: ["CGEOS", "CPROJ", "CGridMapSupport"],
                swiftSettings: crossModule),
        // The model: the dataset, the departments' types, change sets, typed errors.
        .target(name: "GridMapModel", dependencies: ["GridMapGeometry"], swiftSettings: crossModule),
        // The versioned store: the backend protocol and the version algorithm, written once.
        .target(name: "GridMapStore", dependencies: ["GridMapGeometry", "GridMapModel"]),
        // The case log: stages, the stage machine, events, filters, written once over a small
        // backend protocol (statements and a write transaction).
        .target(name: "GridMapCases", dependencies: ["GridMapGeometry", "CCrypto"]),
        // The backends, each in a target of its own: only the PostgreSQL one links libpq.
        .target(name: "GridMapSQLite",
                dependencies: ["GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapCases", "CSQLite"]),
        .target(name: "GridMapPostgres",
                dependencies: ["GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapCases", "CLibPQ"]),
        // The one place that chooses a backend from a `--store` value (and copies between them).
        .target(name: "GridMapStores",
                dependencies: ["GridMapStore", "GridMapCases", "GridMapSQLite", "GridMapPostgres"]),
        // Geocoding as typed: addresses normalised and parsed, the address library and its matcher
        // (the engine answers GEOCODE with it over a version's addresses).
        .target(name: "GridMapGeocoding", dependencies: ["GridMapGeometry", "GridMapModel", "GridMapStore"],
                swiftSettings: crossModule),
        // The engine: snapshots, lookups, request types, geocoding's requests, routing, and the
        // runtime that serves them (the snapshot cell, the watcher, the publish queue).
        .target(name: "GridMapCore", dependencies: [
            "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapCases", "GridMapGeocoding", "GridMapStores",
            "CGridMapSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: crossModule),
        // Bulk joins: CSV rows joined to the grids (and routed) on every core, as of their dates.
        .target(name: "GridMapJoin", dependencies: [
            "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapStores", "GridMapCore", "CGridMapSupport",
        ], swiftSettings: crossModule),
        // Planning: drafts, the redrawing operations, validation, impact, publication.
        .target(name: "GridMapPlanning", dependencies: ["GridMapCore", "GridMapStores"],
                swiftSettings: crossModule),
        // The RESP server: a thin network skin over GridMapCore. Its release build skips Swift's
        // dynamic exclusivity checks: on the per-request path, SwiftNIO's inlined ByteBuffer
        // code included, they cost about 12% of pipelined LOCATE throughput (redis-benchmark
        // -P 16, builds with and without, alternated). It is safe to skip them because a
        // connection's state is only ever touched on its own event loop, one call at a time, so
        // an overlapping access would be a plain bug; the compile-time checks remain, and debug
        // builds, which run the tests, keep the dynamic ones.
        // What both network skins share: who may connect (credentials, accounts, throttled
        // guessing), one connection limit, pausing accepts when out of descriptors, another
        // protocol's counts for /metrics. Neither skin imports the other.
        .target(name: "GridMapNetwork", dependencies: [
            "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapCases", "GridMapCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "GridMapRESP", dependencies: [
            "GridMapCore", "GridMapPlanning", "GridMapNetwork",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // The HTTP skin: the lookups as JSON endpoints, the layers as GeoJSON, the map page,
        // health and Prometheus metrics.
        .target(name: "GridMapHTTP", dependencies: [
            "GridMapCore", "GridMapPlanning", "GridMapNetwork",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], resources: [.copy("Page")]),
        .executableTarget(
            name: "GridMapCLI",
            dependencies: ["GridMapCore", "GridMapJoin", "GridMapPlanning", "GridMapStores", "GridMapNetwork",
                           "GridMapRESP", "GridMapHTTP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            // A release `gridmap` carries the Swift runtime and Foundation inside it: a one-off
            // `gridmap locate` then starts in about 38 ms instead of 58 ms, most of which the
            // dynamic loader spent resolving the shared Swift libraries' symbols (perf stat -r 10).
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]),
        // The benchmarks, apart from the shipped command (tools/serve.sh builds only `gridmap`).
        .executableTarget(
            name: "GridMapBench",
            dependencies: ["GridMapCore", "GridMapStores", "GridMapPlanning", "GridMapRESP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "NIOCore", package: "swift-nio")]),
        .executableTarget(
            name: "GridMapDataGen",
            dependencies: ["GridMapCore", "GridMapStores", "GridMapPlanning",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/datagen"),
        // What every test target shares: the repository root, a scratch directory, an HTTP and
        // a RESP client over real sockets and servers on free ports.
        .target(name: "GridMapTestSupport", dependencies: [
            "GridMapCore", "GridMapPlanning", "GridMapStores", "GridMapPostgres", "GridMapHTTP", "GridMapRESP",
            "GridMapNetwork",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/GridMapTestSupport"),
        .testTarget(name: "GridMapCoreTests", dependencies: [
            "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapCases", "GridMapSQLite", "GridMapPostgres",
            "GridMapStores", "GridMapPlanning", "GridMapCore", "GridMapJoin", "GridMapNetwork", "GridMapTestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Runs the built `gridmap` binary as a user would (`swift build` builds it). Not a
        // dependency: an executable target is linked into its tests, and the release `gridmap`'s
        // static standard library would then be linked into the test bundle too.
        .testTarget(name: "GridMapCLITests", dependencies: [
            "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapSQLite", "GridMapPostgres",
            "GridMapStores", "GridMapPlanning", "GridMapCore", "GridMapRESP", "GridMapHTTP", "GridMapTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // Over real sockets with a small client of its own (TestClient.swift), not
        // HummingbirdTesting, whose client would bring async-http-client, swift-nio-ssl and
        // swift-crypto into the test build.
        .testTarget(name: "GridMapHTTPTests", dependencies: [
            "GridMapHTTP", "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapSQLite", "GridMapPostgres",
            "GridMapStores", "GridMapPlanning", "GridMapCore", "GridMapNetwork", "GridMapRESP", "GridMapCases",
            "GridMapTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "GridMapRESPTests", dependencies: [
            "GridMapRESP", "GridMapGeometry", "GridMapModel", "GridMapStore", "GridMapSQLite", "GridMapPostgres",
            "GridMapStores", "GridMapPlanning", "GridMapCore", "GridMapNetwork",
            "GridMapTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
