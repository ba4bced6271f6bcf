import Foundation
import GridMapGeometry

/// A version written out as a data directory (the layout `Dataset.load` reads, so it can be
/// imported again) with the derived data as the version computed it: community and street
/// shapes and counts, and each address's grid.
extension Dataset {
    public func write(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws {
            let path = directory + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw StoreError.data(path, "cannot be written")
            }
        }
        func features<T>(_ items: [T], _ id: (T) -> String, _ props: (T) -> JSONObject, _ shape: (T) -> Shape) -> String
        {
            GeoJSON.text(items.map { Feature(id: id($0), properties: props($0), geometry: shape($0)) })
        }
        let manifest: JSONValue = ["district_id": .string(districtID), "district_name": .string(districtName),
                                   "version": .string(version), "grids": JSONValue(grids.count)]
        try write(DataFiles.manifest, manifest.serialized + "\n")
        try write(
            DataFiles.outline, GeoJSON.text([Feature(id: "outline", properties: ["id": "outline"], geometry: outline)]))
        try write(DataFiles.streets, features(streets, \.id, \.properties, \.shape))
        try write(DataFiles.communities, features(communities, \.id, \.properties, \.shape))
        try write(DataFiles.grids, features(grids, \.id, \.properties, \.shape))
        try write(DataFiles.resources, features(resources, \.id, \.exportedProperties, { .point($0.location) }))
        if !departments.isEmpty {
            try write(DataFiles.departments, Dataset.csvText(departments.map(\.properties),
                                                             columns: DataFiles.departmentColumns))
        }
        if !units.isEmpty { try write(DataFiles.units, features(units, \.id, \.properties, \.shape)) }
        if !categories.isEmpty {
            try write(DataFiles.categories, Dataset.csvText(categories.map(\.properties),
                                                            columns: DataFiles.categoryColumns))
        }
        if !calendar.days.isEmpty {
            try write(DataFiles.calendar, Dataset.csvText(calendar.days.map(\.properties),
                                                          columns: DataFiles.calendarColumns))
        }
        var csv = CSV.line(DataFiles.addressColumns) + "\n"
        for a in addresses {
            csv +=
                CSV.line([
                    a.id, a.text, a.street, a.community, a.road, a.number, a.compound, a.building, a.unit, a.room,
                    JSONValue.format(a.location.x), JSONValue.format(a.location.y), a.gridID,
                ]) + "\n"
        }
        try write(DataFiles.addresses, csv)
    }
}
