import SwiftNet
