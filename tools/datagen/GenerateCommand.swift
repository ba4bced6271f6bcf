import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

@main
struct DataGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridmap-datagen",
        abstract: "Synthetic data for gridmap: the Yufeng district, and case records to join to it.",
        subcommands: [GenerateCommand.self, CasesCommand.self, NetworkCommand.self, HistoryCommand.self],
        defaultSubcommand: GenerateCommand.self)
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "district",
        abstract: "Generates the synthetic Yufeng dataset (streets, communities, grids, resources, addresses) "
            + "inside a real district outline.")

    @Option(help: "The district outline as given (GeoJSON, may be invalid: it is repaired).")
    var outline = "data/yufeng-outline.source.geojson"

    @Option(help: "Output directory.")
    var out = "data/yufeng"

    @Option(
        help: "Linear scale: 10 makes an area 100x larger with 100x the grids, addresses and resources (benchmarks).")
    var scale = 1

    @Option(help: "Random seed.")
    var seed: UInt64 = 450203

    func run() throws {
        guard scale >= 1, scale <= 20 else { throw ValidationError("--scale must be 1…20") }
        let started = Date()
        func log(_ s: String) { print(String(format: "[%6.1fs] ", Date().timeIntervalSince(started)) + s) }
        var random = SeededRandom(seed: seed &+ UInt64(scale))
        let layout = Layout(scale: scale)
        let ctx = GEOSContext()

        let repaired = try repairOutline(path: outline, scale: scale, context: ctx)
        log("outline repaired: \(repaired.shape.vertexCount) vertices")
        let box = repaired.shape.bounds!
        let frame = Frame(center: box.center)
        let density = makeDensity(frame: frame, scale: scale, outline: repaired.geometry, random: &random)
        let warp = Warp(random: &random)

        let seeds = try sampleSeeds(
            count: layout.gridsTotal, inside: repaired.geometry, frame: frame, density: density, random: &random)
        log("\(seeds.count) grid seeds")
        // Vertex spacing along boundaries: ~20 m in town, ~60 m in the countryside.
        let shapes = try partition(seeds: seeds, outline: repaired.geometry, frame: frame, warp: warp) { p in
            min(60, max(20, 200 / (density.at(p) / density.rural).squareRoot()))
        }
        log("partitioned into \(shapes.count) grids")
        var grids: [District.GridDraft] = []
        for shape in shapes {
            let metric = shape.mapCoordinates(frame.metres)
            let g = try ctx.geometry(metric)
            let centre = try g.pointOnSurface().coordinate()
            grids.append(.init(shape: shape, center: centre, area: try g.area(),
                               urban: density.at(centre) > 12 * density.rural))
        }
        var district = District(outline: repaired.shape, frame: frame, density: density, warp: warp, grids: grids,
                                neighbours: adjacency(shapes))
        organize(&district, layout: layout, districtCode: "450203", random: &random)
        log("\(district.streets.count) streets, \(district.communities.count) communities")

        let writer = DatasetWriter(directory: out, district: district, context: ctx)
        let index = try writer.writeAreas()
        log("areas written")
        let inside: (Coordinate) -> Bool = { index.locate(frame.lonLat($0)) != nil }
        let roads = makeRoads(district, inside: inside, random: &random)
        // Doors closer together until the district has its share of addresses.
        var stride = 8, located: [(point: Coordinate, grid: Int)] = []
        while located.count < layout.addresses && stride > 0 {
            var attempt = random
            let drafts = makeAddresses(
                roads, stride: stride, urban: { density.at($0) > 12 * density.rural }, random: &attempt)
            located = try writer.writeAddresses(drafts, index: index)
            if located.count >= layout.addresses || stride == 1 { random = attempt }
            stride -= 1
        }
        log("\(roads.count) roads, \(located.count) addresses")
        let resources = makeResources(district, layout: layout, gridAt: { index.locate($0).map { writer.order[$0] } },
                                      addresses: located, random: &random)
        try writer.writeResources(resources)
        log("\(resources.count) resources")
        try writer.writeManifest(seed: seed, scale: scale, counts: [
            "streets": district.streets.count, "communities": district.communities.count, "grids": district.grids.count,
            "resources": resources.count, "addresses": located.count,
            "population": district.grids.reduce(0) { $0 + $1.population },
        ])
        log("done: \(out)")
    }
}

/// GEOS make-valid, then the largest polygon without its pinhole holes: the quantized
/// source ring crosses itself, which leaves slivers of a few thousand m² that are artefacts,
/// not territory. Snapped to the 1e-7° lattice every other layer uses.
func repairOutline(path: String, scale: Int, context ctx: GEOSContext) throws -> (shape: Shape, geometry: Geometry) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard let source = try GeoJSON.features(fromText: text).first?.geometry else {
        throw GeometryError("\(path): no geometry")
    }
    let valid = try ctx.geometry(source).makeValid()
    let polygons = valid.polygonsDeep()
    guard var largest = polygons.max(by: { ($0.first.map(ringArea) ?? 0) < ($1.first.map(ringArea) ?? 0) }) else {
        throw GeometryError("\(path): nothing polygonal after repair")
    }
    largest = [largest[0]] + largest.dropFirst().filter { ringArea($0) > 1e-5 }
    var shape = Shape.polygon(largest)
    if scale > 1, let c = shape.bounds?.center {
        let s = Double(scale)
        shape = shape.mapCoordinates { Coordinate(c.x + (s * ($0.x - c.x)), c.y + (s * ($0.y - c.y))) }
    }
    let snapped = try onLattice(try ctx.geometry(shape))
    guard try snapped.validity().isValid, snapped.typeID == 3 else {
        throw GeometryError("repaired outline is not one valid polygon")
    }
    return (try snapped.shape(), snapped)
}

extension Geometry {
    func polygonsDeep() -> [[[Coordinate]]] { ((try? shape()) ?? .collection([])).polygons }
}

func ringArea(_ ring: [Coordinate]) -> Double {
    var a = 0.0
    for k in 0..<max(0, ring.count - 1) { a += ring[k].x * ring[k + 1].y - ring[k + 1].x * ring[k].y }
    return abs(a / 2)
}

/// Yufeng's towns lie in the north-west of the district by the Liu River; the 100x data
/// gets one urban core per original-size tile, spread over its larger outline.
func makeDensity(frame: Frame, scale: Int, outline: Geometry, random: inout SeededRandom) -> Density {
    let urbanCore = frame.metres(Coordinate(109.4355, 24.3005))
    let s = Double(scale)
    var cores = [(center: Coordinate(urbanCore.x * s, urbanCore.y * s), sigma: 2200.0, weight: 80.0)]
    if scale > 1 {
        let index = try! GridIndex(polygons: [try! outline.shape()])
        let box = try! outline.bounds()!
        while cores.count < scale * scale {
            let p = Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
            let m = frame.metres(p)
            guard index.locate(p) != nil, cores.allSatisfy({ d2($0.center, m) > 15000 * 15000 }) else { continue }
            cores.append((m, 2200, 80))
        }
    }
    return Density(cores: cores, rural: 1)
}
