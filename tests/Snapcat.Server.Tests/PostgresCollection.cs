namespace Snapcat.Server.Tests;

/// <summary>
/// Test classes that use the one PostgreSQL database named by SNAPCAT_TEST_POSTGRES. They empty its
/// tables and count rows, so they must not run at the same time: xunit runs the classes of one
/// collection one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection
{
    public const string Name = "postgres database";
}
