using Caseline.Server.Storage;

namespace Caseline.Server.Tests;

/// <summary>The schema each provider makes is the one definition (<see cref="Schema"/>), column by column.</summary>
public abstract partial class StorageContractTests
{
    [Fact]
    public void A_new_store_holds_the_defined_schema_column_by_column()
    {
        using var connection = Database.OpenReader();

        Assert.Equal(Defined(Database.Dialect), Described(Database, connection));
        Assert.Equal(DefinedIndexes(Database.Dialect), Database.DescribeIndexes(connection));
        Assert.Equal(Schema.Version, Database.SchemaVersion(connection));
    }

    [Fact]
    public void Both_providers_define_the_same_columns_but_for_the_shared_key_ring()
    {
        var sqlite = new SchemaDialect("INTEGER", "INTEGER", "TEXT", "BLOB", "REAL", "INTEGER PRIMARY KEY", " WITHOUT ROWID", Shared: false);
        var shared = Database.Dialect with { Shared = true };

        Assert.Equal(
            Defined(shared).Where(c => !c.StartsWith("data_protection_keys.", StringComparison.Ordinal)),
            Defined(sqlite));
    }

    /// <summary>Each column as "table.column kind null|not-null default key": one line per column, so a difference names itself.</summary>
    private protected static List<string> Defined(SchemaDialect dialect) =>
    [
        .. Schema.For(dialect).SelectMany(table => table.Columns.Select(column => Line(
            table.Name,
            column.Name,
            column.Type switch { ColumnType.Key or ColumnType.Long or ColumnType.Int => "integer", ColumnType.Text => "text", ColumnType.Bytes => "bytes", _ => "real" },
            column.Null,
            column.Default,
            column.Type == ColumnType.Key || (table.Key?.Split(", ").Contains(column.Name) ?? false)))).Order(StringComparer.Ordinal),
    ];

    private protected static List<string> DefinedIndexes(SchemaDialect dialect) =>
        [.. Schema.For(dialect).SelectMany(table => table.Indexes ?? []).Select(index => index.Name).Order(StringComparer.Ordinal)];

    private protected static List<string> Described(Database database, System.Data.Common.DbConnection connection) =>
        [.. database.DescribeColumns(connection).Select(c => Line(c.Table, c.Name, c.Kind, c.Null, c.Default, c.Key)).Order(StringComparer.Ordinal)];

    private static string Line(string table, string column, string kind, bool nullable, string? fallback, bool key) =>
        $"{table}.{column} {kind} {(nullable ? "null" : "not-null")} {fallback ?? "-"}{(key ? " key" : "")}";
}
