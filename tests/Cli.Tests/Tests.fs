module StrategyLab.Cli.Tests.Tests
