// The engine's vocabulary, for whoever imports the engine: geometry and coordinates, the
// model and the versioned store's protocol come with it.
@_exported import GridMapGeometry
@_exported import GridMapModel
@_exported import GridMapStore
