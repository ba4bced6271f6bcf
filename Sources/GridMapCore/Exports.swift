// The engine's vocabulary, for whoever imports the engine: geometry and coordinates, the
// model, the versioned store's protocol and the case log come with it.
@_exported import GridMapGeometry
@_exported import GridMapModel
@_exported import GridMapStore
@_exported import GridMapCases
