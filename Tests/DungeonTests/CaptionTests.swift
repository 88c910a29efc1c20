import Testing
@testable import Dungeon

@Test func thereAreAtLeast150DistinctTemplates() {
    let templates = Set(Message.allCases.map(\.template))
    #expect(templates.count >= 150)
    #expect(templates.count == Message.allCases.count, "two cases share a template")
    #expect(Message.bytes.allSatisfy { !$0.isEmpty && $0.count < 200 })
}

@Test func messagesJoinWithTwoSpacesAndFillPlaceholders() {
    var line = MessageLine(capacity: 256)
    line.say(.youKill, Array("jackal".utf8))
    line.say(.pickUpGold, number: 1)
    line.say(.seeHereGold, number: 12)
    line.say(.pickUpMany, Array("apples".utf8), number: 3, letter: UInt8(ascii: "e"))
    #expect(line.text == "You kill the jackal!  1 gold piece.  You see here 12 gold pieces.  e - 3 apples.")
    #expect(line.messageCount == 4)
    line.clear()
    #expect(line.text.isEmpty)
    line.say(.hpLow, number: -5)
    #expect(line.text == "You are badly hurt; you have -5 hit points left.")
}

@Test func aMessageThatDoesNotFitIsDroppedWhole() {
    var line = MessageLine(capacity: 80)
    line.say(.diagonalOutOfDoorway)
    let first = line.text
    line.say(.fountainWaterMoccasin)
    #expect(line.text == first)
    #expect(line.length <= 80)
}

@Test func randomPlayProducesManyDistinctCaptions() throws {
    let env = try VectorEnv(task: "score", count: 16, seed: 5, configuration: .init(writeFullMap: false))
    var rng = SplitMix64(seed: 6)
    var captions = Set<String>()
    var actions = [Int32](repeating: 0, count: 16)
    for _ in 0..<1500 {
        for i in 0..<16 { actions[i] = Int32(rng.below(Action.count)) }
        try env.step(actions: actions)
        for i in 0..<16 where env.captionLength[i] > 0 { captions.insert(env.caption(i)) }
    }
    #expect(captions.count >= 300, "only \(captions.count) distinct captions")
}
