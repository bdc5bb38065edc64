using StrategyLab.Tests.Servers;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>The tests that share one PostgreSQL server, each in a database of its own.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL server";
}
