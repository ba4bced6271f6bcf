// The engine's vocabulary, for whoever imports the engine: geometry and coordinates, the
// model, the versioned store's protocol, the case log and the geocoder come with it.
@_exported import GridMapGeometry
@_exported import GridMapModel
@_exported import GridMapStore
@_exported import GridMapCases
@_exported import GridMapGeocoding
