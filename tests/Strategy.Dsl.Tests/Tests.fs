module StrategyLab.Strategy.Dsl.Tests.Tests
