using Caseline.Server.Tests;
using Npgsql;

namespace Caseline.Bench;

/// <summary>
/// The store the scenarios run on (<c>--store sqlite|postgres</c>). PostgreSQL is a throwaway cluster the bench starts
/// from Debian's package (the tests' <see cref="PostgresCluster"/>), or the server <c>CASELINE_BENCH_POSTGRES</c> names
/// (a connection string with the right to create databases); each server gets a database of its own.
/// </summary>
public static class BenchStore
{
    private static PostgresCluster? _cluster;
    private static string? _server;

    public static bool Postgres { get; private set; }

    /// <summary>The cluster the bench started, for its CPU time; null when the server is someone else's.</summary>
    internal static PostgresCluster? Cluster => _cluster;

    public static async Task UsePostgresAsync()
    {
        Postgres = true;
        await EnsureServerAsync();
    }

    /// <summary>Starts the cluster (or takes the named server) if that has not happened yet; the scale-out scenario needs it whatever the store.</summary>
    public static async Task EnsureServerAsync()
    {
        if (_server is not null)
        {
            return;
        }

        _server = Environment.GetEnvironmentVariable("CASELINE_BENCH_POSTGRES");
        if (string.IsNullOrWhiteSpace(_server))
        {
            if (!PostgresCluster.Installed)
            {
                throw new InvalidOperationException("PostgreSQL is not installed (apt-get install -y postgresql), and CASELINE_BENCH_POSTGRES names no server.");
            }

            // A cluster tuned as a small production one would be, with the durability it ships with (fsync, synchronous_commit on).
            _cluster = await PostgresCluster.StartAsync("-c max_connections=300 -c shared_buffers=512MB -c max_wal_size=4GB");
            _server = _cluster.ConnectionString("postgres");
        }
    }

    /// <summary>A new, empty database on the server, as a connection string.</summary>
    public static string NewDatabase()
    {
        var name = "bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(_server))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(_server) { Database = name, MaxPoolSize = 64 }.ConnectionString;
    }

    /// <summary>The settings that put a server on the store; none for SQLite.</summary>
    public static Dictionary<string, string> Settings(string separator = ":") => Postgres
        ? new() { [$"Caseline{separator}Storage{separator}Provider"] = "postgres", [$"Caseline{separator}Storage{separator}ConnectionString"] = NewDatabase() }
        : [];

    public static async Task StopAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
