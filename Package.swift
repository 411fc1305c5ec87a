// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "bce",
  products: [
    .executable(name: "bce", targets: ["bce"]),
    .library(name: "BCEIO", targets: ["BCEIO"]),
    .library(name: "BCECore", targets: ["BCECore"]),
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
    .target(name: "BCECore"),
    .target(name: "BCEIO", dependencies: ["BCECore", "CZlib"]),
    .executableTarget(
      name: "bce",
      dependencies: [
        "BCECore", "BCEIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "BCECoreTests", dependencies: ["BCECore"]),
    .testTarget(name: "BCEIOTests", dependencies: ["BCEIO", "CZlib"]),
    .testTarget(name: "EndToEndTests", dependencies: ["bce", "CZlib"]),
  ]
)
