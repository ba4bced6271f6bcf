import Dispatch
import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore

/// One published version of a district's data with its indexes: immutable, so any number
/// of threads query it without locks. A new version is built beside it and swapped in
/// whole (see `SnapshotCell`). A class, so handing it out is one reference count.
public final class Snapshot: Sendable {
    public let dataset: Dataset
    public let grids: GridIndex
    public let resources: ResourceIndex
    package let gridByID: [String: Int]
    package let communityByID: [String: Int]
    package let streetByID: [String: Int]
    /// Grid indices of each community and street, in id order (GRIDS answers from these).
    package let gridsByCommunity: [String: [Int]]
    package let gridsByStreet: [String: [Int]]
    /// Resource indices of each grid's workers, by grid index.
    package let workers: [[Int]]
    /// Each grid's share of a LOCATE reply, serialized once (see `writeLocation`); the last
    /// one is for a point in no grid.
    package let replies: LocationReplies
    /// `,"data_version":"…"}`, how every JSON reply of this version ends.
    package var replyEnding: [UInt8] { replies.ending }
    /// Each resource's JSON but its closing brace, serialized once (see `writeNearby`).
    package let resourceHeads: PackedBytes
    /// Where the addresses come from when they are not in `dataset` (served from a store).
    public let addressSource: AddressSource?
    /// Departments, units and categories, indexed; nil for a district without them.
    public let departmentUnits: DepartmentUnits?
    /// The address library, built on first use (geocoding is optional work).
    private let library = Mutex<AddressLibrary?>(nil)
    private let libraryBuilt = Atomic<Bool>(false)

    /// Indexes the dataset. Grids are put in id order: the index's smallest-index boundary
    /// rule is then the documented smallest-id rule. With an `addressSource`, the dataset's
    /// own addresses are ignored and the source's are read when first geocoding. Parts of
    /// `previous` (another version, usually the one this replaces) that this version would
    /// build the same are taken over: a publish changing one grid rebuilds little but the
    /// grid index.
    /// `gridIndex`, when given, is an index already built over the same grids in id order
    /// (checked: it is used only when its polygons are the dataset's).
    public init(dataset: Dataset, addresses addressSource: AddressSource? = nil,
                reusing previous: Snapshot? = nil, gridIndex prebuilt: GridIndex? = nil) throws {
        var data = dataset
        data.grids.sort { $0.id < $1.id }
        // The resources' tree needs only their locations: built beside the grid index, whose
        // set-up and assembly use one core.
        let resourcesInput = data.resources
        let sameTree =
            previous.map { p in
                p.dataset.resources.count == resourcesInput.count
                    && zip(p.dataset.resources, resourcesInput).allSatisfy {
                        $0.id == $1.id && $0.kind == $1.kind && $0.location == $1.location
                    }
            } ?? false
        let (resources, grids) = try inParallel(
            {
                sameTree
                    ? previous!.resources
                    : ResourceIndex(
                        locations: resourcesInput.map(\.location),
                        kinds: resourcesInput.map(\.kind), ids: resourcesInput.map(\.id))
            }, { try Snapshot.gridIndex(data.grids, previous: previous, prebuilt: prebuilt) })
        self.grids = grids
        self.resources = resources
        self.addressSource = addressSource
        // Derived for each version, never read from input: the grid each address and each
        // resource stands in (a worker's assigned grid, `gridID`, is planners' data).
        if addressSource == nil {
            data.addresses = Snapshot.located(data.addresses, grids: grids, ids: data.grids.map(\.id))
        } else {
            data.addresses = []
        }
        let resourceGrids = grids.locateAll(data.resources.map(\.location))
        for (k, g) in resourceGrids.enumerated() {
            data.resources[k].locatedGridID = g < 0 ? nil : data.grids[Int(g)].id
        }
        self.dataset = data
        let gridByID = Dictionary(uniqueKeysWithValues: data.grids.enumerated().map { ($1.id, $0) })
        self.gridByID = gridByID
        communityByID = Dictionary(uniqueKeysWithValues: data.communities.enumerated().map { ($1.id, $0) })
        streetByID = Dictionary(uniqueKeysWithValues: data.streets.enumerated().map { ($1.id, $0) })
        gridsByCommunity = Dictionary(grouping: data.grids.indices, by: { data.grids[$0].communityID })
        gridsByStreet = Dictionary(grouping: data.grids.indices, by: { data.grids[$0].streetID })
        var byGrid = [[Int]](repeating: [], count: data.grids.count)
        for (i, r) in data.resources.enumerated() where r.kind == "grid_worker" {
            if let g = r.gridID.flatMap({ gridByID[$0] }) { byGrid[g].append(i) }
        }
        let workers = byGrid.map { $0.sorted { data.resources[$0].id < data.resources[$1].id } }
        self.workers = workers
        var ending: [UInt8] = []
        ending.appendText(#","data_version":"#)
        JSONValue.appendString(data.version, to: &ending)
        ending.append(UInt8(ascii: "}"))
        replies = LocationReplies(
            tails: Snapshot.locationTails(
                data, communityByID: communityByID, streetByID: streetByID, workers: workers,
                ending: ending, previous: previous),
            ending: ending)
        if let previous, previous.dataset.resources == data.resources {
            resourceHeads = previous.resourceHeads
        } else {
            resourceHeads = Snapshot.resourceHeads(data.resources)
        }
        departmentUnits = try DepartmentUnits(data, workers: workers, gridByID: gridByID, communityByID: communityByID,
                                     streetByID: streetByID, ending: ending, previous: previous?.departmentUnits)
    }

    /// The grid index: `prebuilt` when it indexes these grids' polygons, in this order; else
    /// updated from `previous`'s when the same grids (by id, in order) are indexed and only
    /// some of their shapes changed; else built.
    private static func gridIndex(_ grids: [Grid], previous: Snapshot?, prebuilt: GridIndex?) throws -> GridIndex {
        if let prebuilt, prebuilt.polygons.elementsEqual(grids.lazy.map(\.shape.polygons)) { return prebuilt }
        guard let previous, previous.dataset.grids.count == grids.count,
              zip(previous.dataset.grids, grids).allSatisfy({ $0.id == $1.id }) else {
            return try GridIndex(polygons: grids.map(\.shape))
        }
        let changed = grids.indices.filter { previous.dataset.grids[$0].shape != grids[$0].shape }
        if changed.isEmpty { return previous.grids }
        return try GridIndex(polygons: grids.map(\.shape), updating: previous.grids, changed: changed)
    }

    private static func located(_ addresses: [Address], grids: GridIndex, ids: [String]) -> [Address] {
        var out = addresses
        for (k, g) in grids.locateAll(addresses.map(\.location)).enumerated() {
            out[k].gridID = g < 0 ? "" : ids[Int(g)]
        }
        return out
    }

    /// How many addresses this version has (known before they are read).
    public var addressCount: Int { addressSource?.count ?? dataset.addresses.count }

    /// This version's addresses, each with the grid it stands in.
    public func addresses() throws -> [Address] {
        guard let addressSource else { return dataset.addresses }
        return Snapshot.located(try addressSource.addresses(), grids: grids, ids: dataset.grids.map(\.id))
    }

    /// The dataset with its addresses (read from the store if they are not yet).
    public func completeDataset() throws -> Dataset {
        var d = dataset
        if addressSource != nil { d.addresses = try addresses() }
        return d
    }

    /// The standard address library of this version, built the first time it is asked for
    /// (reading the addresses then if they come from a store).
    public var addressLibrary: AddressLibrary {
        get throws {
            try library.withLock { cached in
                if let cached { return cached }
                let built = AddressLibrary(dataset: try completeDataset())
                cached = built
                libraryBuilt.store(true, ordering: .releasing)
                return built
            }
        }
    }

    /// Whether the library is built, so that geocoding costs microseconds (else it may cost
    /// seconds: call it off any event loop). Never waits.
    public var addressLibraryIsReady: Bool { libraryBuilt.load(ordering: .acquiring) }

    /// A geocoder over this version's library.
    public var geocoder: Geocoder { get throws { Geocoder(library: try addressLibrary) } }

    public static func load(directory: String) throws -> Snapshot {
        let snapshot = try Snapshot(dataset: Dataset.load(directory: directory))
        releaseFreedMemory()
        return snapshot
    }

    public var version: String { dataset.version }

    public func grid(id: String) -> Int? { gridByID[id] }
    public func community(of grid: Int) -> Community? {
        communityByID[dataset.grids[grid].communityID].map { dataset.communities[$0] }
    }
    public func street(of grid: Int) -> Street? { streetByID[dataset.grids[grid].streetID].map { dataset.streets[$0] } }
    public func workers(of grid: Int) -> [Resource] { workers[grid].map { dataset.resources[$0] } }

    /// The grid owning a WGS 84 point (see `GridIndex` for the boundary rule).
    @inline(__always)
    public func locate(_ point: Coordinate) -> Int? { grids.locate(point) }

    /// Locates many points, spread over every core. Same answers as `locate`, in order.
    public func locateMany(_ points: [Coordinate]) -> [Int?] {
        grids.locateAll(points).map { $0 < 0 ? nil : Int($0) }
    }
}
