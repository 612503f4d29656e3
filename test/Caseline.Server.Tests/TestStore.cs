using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Caseline.Server.Tests;

/// <summary>
/// The store the tests of this assembly run on. The same test sources build twice: <c>Caseline.Server.Tests</c> on
/// SQLite files, and <c>Caseline.Server.Postgres.Tests</c> (with <c>POSTGRES</c> defined) on a real PostgreSQL, where
/// each test server gets a database of its own on the cluster that <c>CASELINE_TEST_POSTGRES</c> names (a connection
/// string with the right to create databases; <c>.ci/run</c> starts a throwaway cluster and sets it).
/// </summary>
internal static class TestStore
{
    public const string Variable = "CASELINE_TEST_POSTGRES";

    /// <summary>Whether this assembly's tests run on PostgreSQL.</summary>
    public static bool Postgres =>
#if POSTGRES
        true;
#else
        false;
#endif

    /// <summary>
    /// The cluster's connection string. Without it a PostgreSQL test fails in CI (<c>CI</c> set), and elsewhere is
    /// skipped with a message saying how to run it.
    /// </summary>
    public static string Cluster
    {
        get
        {
            var cluster = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(cluster))
            {
                return cluster;
            }

            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            {
                Assert.Fail($"{Variable} is not set: CI must start a PostgreSQL cluster for these tests (.ci/run does).");
            }

            Assert.Skip($"PostgreSQL tests need {Variable} (a connection string to a cluster where databases may be created); .ci/run starts one.");
            return "";
        }
    }

    /// <summary>Creates an empty database on the cluster and returns its connection string.</summary>
    public static string CreateDatabase()
    {
        var name = "caseline_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(Cluster))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        // Many test servers run at once; each keeps a small pool so that together they stay under the cluster's max_connections.
        return new NpgsqlConnectionStringBuilder(Cluster) { Database = name, MaxPoolSize = 16 }.ConnectionString;
    }

    /// <summary>Drops a database <see cref="CreateDatabase"/> made, cutting off whoever is still connected.</summary>
    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        using var connection = new NpgsqlConnection(Cluster);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    /// <summary>
    /// The settings that put a server on its store: for PostgreSQL, the database recorded in the data folder (made on
    /// first use, so a server restarted on the same folder finds the same database); none for SQLite.
    /// </summary>
    public static Dictionary<string, string> Settings(string dataDirectory, string separator = ":")
    {
        if (!Postgres)
        {
            return [];
        }

        return new()
        {
            [$"Caseline{separator}Storage{separator}Provider"] = "postgres",
            [$"Caseline{separator}Storage{separator}ConnectionString"] = DatabaseOf(dataDirectory),
        };
    }

    /// <summary>The connection string of the database that belongs to <paramref name="dataDirectory"/>, made on first use.</summary>
    public static string DatabaseOf(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "test-database");
        if (File.Exists(file))
        {
            return File.ReadAllText(file);
        }

        Directory.CreateDirectory(dataDirectory);
        var connectionString = CreateDatabase();
        File.WriteAllText(file, connectionString);
        return connectionString;
    }

    /// <summary>Drops the database of <paramref name="dataDirectory"/>, if it has one.</summary>
    public static void Forget(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "test-database");
        if (Postgres && File.Exists(file))
        {
            DropDatabase(File.ReadAllText(file));
        }
    }

    /// <summary>A connection straight to the store of <paramref name="dataDirectory"/>, as an operator's tool would open one.</summary>
    public static DbConnection Open(string dataDirectory, bool readOnly)
    {
        DbConnection connection = Postgres
            ? new NpgsqlConnection(DatabaseOf(dataDirectory))
            : new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "caseline.db")};Mode={(readOnly ? "ReadOnly" : "ReadWrite")};Pooling=False");
        connection.Open();
        return connection;
    }
}
