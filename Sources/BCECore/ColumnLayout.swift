/// The columns of one evaluation as the user selected them (before any header is read).
public struct ColumnSelection: Sendable, Hashable {
  public var label: ColumnSelector
  public var predictions: [ColumnSelector]
  public var weight: ColumnSelector?
  /// The column whose distinct values each get a result of their own.
  public var group: ColumnSelector?

  public init(
    label: ColumnSelector = .name("label"),
    predictions: [ColumnSelector] = [.name("pred")],
    weight: ColumnSelector? = nil,
    group: ColumnSelector? = nil
  ) {
    self.label = label
    self.predictions = predictions
    self.weight = weight
    self.group = group
  }

  /// How messages name the selected columns.
  var names: ColumnNames {
    ColumnNames(
      label: label.description, predictions: predictions.map(\.description),
      weight: weight?.description, group: group?.description)
  }

  /// Resolves every selector against one input's header.
  ///
  /// - Parameters:
  ///   - header: the header's names, or `nil` when the input has no header.
  ///   - fieldCount: the number of fields of the header (or of the first record).
  ///   - input: the input's name, for the error.
  /// - Throws: a usage error naming the first column that does not exist and listing the
  ///   columns that do.
  public func resolve(header: [String]?, fieldCount: Int, input: String) throws(BCEError)
    -> ColumnLayout
  {
    func position(_ selector: ColumnSelector, _ role: String) throws(BCEError) -> Int {
      if let index = selector.resolve(header: header, fieldCount: fieldCount) { return index }
      let available: String
      if let header {
        available = "columns are " + header.map { "'\($0)'" }.joined(separator: ", ")
      } else {
        available = "there is no header; columns are #1 to #\(fieldCount)"
      }
      throw BCEError(
        .usage, place: input, "no \(role) column \(selector): \(available)")
    }
    let labelIndex = try position(label, "label")
    var predictionIndexes: [Int] = []
    for selector in predictions {
      predictionIndexes.append(try position(selector, "prediction"))
    }
    let weightIndex = try weight.map { (selector) throws(BCEError) in
      try position(selector, "weight")
    }
    let groupIndex = try group.map { (selector) throws(BCEError) in
      try position(selector, "group-by")
    }
    return ColumnLayout(
      label: labelIndex, predictions: predictionIndexes, weight: weightIndex, group: groupIndex,
      names: names)
  }

  /// Resolves the selection for JSON Lines, where columns are keys: the layout's positions
  /// index the returned keys (label, then weight, then group, then predictions).
  ///
  /// - Throws: a usage error for a column selected by index, which JSON Lines does not have.
  public func resolveKeys(input: String) throws(BCEError) -> (ColumnLayout, [[UInt8]]) {
    var keys: [[UInt8]] = []
    func key(_ selector: ColumnSelector, _ role: String) throws(BCEError) -> Int {
      guard case .name(let name) = selector else {
        throw BCEError(
          .usage, place: input,
          "JSON Lines columns are keys: select the \(role) column by name, not \(selector)")
      }
      keys.append(Array(name.utf8))
      return keys.count - 1
    }
    let labelPosition = try key(label, "label")
    let weightPosition = try weight.map { (selector) throws(BCEError) in
      try key(selector, "weight")
    }
    let groupPosition = try group.map { (selector) throws(BCEError) in
      try key(selector, "group-by")
    }
    var predictionPositions: [Int] = []
    for selector in predictions { predictionPositions.append(try key(selector, "prediction")) }
    let layout = ColumnLayout(
      label: labelPosition, predictions: predictionPositions, weight: weightPosition,
      group: groupPosition, names: names)
    return (layout, keys)
  }
}

/// The selected columns resolved to 0-based field positions of one input.
public struct ColumnLayout: Sendable, Hashable {
  public let label: Int
  public let predictions: [Int]
  public let weight: Int?
  public let group: Int?
  /// The number of leading fields a record must have: one past the last selected position.
  public let fieldsNeeded: Int
  /// How messages name the columns.
  public let names: ColumnNames

  public init(
    label: Int, predictions: [Int], weight: Int?, group: Int? = nil, names: ColumnNames
  ) {
    precondition(!predictions.isEmpty, "at least one prediction column")
    precondition(names.predictions.count == predictions.count, "one name per prediction column")
    self.label = label
    self.predictions = predictions
    self.weight = weight
    self.group = group
    self.names = names
    fieldsNeeded = max(label, predictions.max()!, weight ?? 0, group ?? 0) + 1
  }
}

/// The columns as messages name them: `'score'` for a name, `#4` for an index.
public struct ColumnNames: Sendable, Hashable {
  public let label: String
  public let predictions: [String]
  public let weight: String?
  public let group: String?

  public init(label: String, predictions: [String], weight: String?, group: String? = nil) {
    self.label = label
    self.predictions = predictions
    self.weight = weight
    self.group = group
  }
}
