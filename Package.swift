// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "bce",
  products: [
    .executable(name: "bce", targets: ["bce"]),
    .library(name: "BCEIO", targets: ["BCEIO"]),
    .library(name: "BCECore", targets: ["BCECore"]),
  ],
  traits: [
    .trait(
      name: "ISAL",
      description: "Also build the ISA-L gzip decoder (--inflate isal); needs libisal-dev."),
    .default(enabledTraits: []),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
      name: "CISAL",
      pkgConfig: "libisal",
      providers: [.apt(["libisal-dev"])]
    ),
    // CRC-32 folded with the carry-less multiply (x86-64), for BGZF members inflated raw.
    .target(name: "CCRC32"),
    .target(name: "BCECore"),
    .target(
      name: "BCEIO",
      dependencies: [
        "BCECore", "CZlib", "CCRC32", .target(name: "CISAL", condition: .when(traits: ["ISAL"])),
      ],
      swiftSettings: [.define("ISAL", .when(traits: ["ISAL"]))]
    ),
    .executableTarget(
      name: "bce",
      dependencies: [
        "BCECore", "BCEIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Helpers the test targets share (a seeded generator, a gzip writer); not a product.
    .target(name: "BCETestSupport", dependencies: ["CZlib"], path: "Tests/Support"),
    .testTarget(name: "BCECoreTests", dependencies: ["BCECore", "BCETestSupport"]),
    .testTarget(
      name: "BCEIOTests", dependencies: ["BCEIO", "BCETestSupport"],
      swiftSettings: [.define("ISAL", .when(traits: ["ISAL"]))]),
    .testTarget(name: "EndToEndTests", dependencies: ["bce", "BCETestSupport"]),
  ]
)
