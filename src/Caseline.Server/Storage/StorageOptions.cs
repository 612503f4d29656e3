namespace Caseline.Server.Storage;

/// <summary>The <c>Caseline:Storage</c> section: which store, and for PostgreSQL where it is.</summary>
internal sealed class StorageOptions
{
    public const string Section = "Caseline:Storage";

    /// <summary><c>sqlite</c> (the default: one file under the data folder, one process) or <c>postgres</c> (any number of processes).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For <c>postgres</c>, an Npgsql connection string (<c>Host=…;Database=…;Username=…;Password=…</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Whether the store is shared by several processes (PostgreSQL).</summary>
    public bool IsPostgres => Provider.ToLowerInvariant() is "postgres" or "postgresql";

    public static StorageOptions From(IConfiguration configuration) => configuration.GetSection(Section).Get<StorageOptions>() ?? new();
}

/// <summary>
/// Who this process is among the processes sharing a store: the <see cref="Node"/> is the data folder's (kept in
/// its <c>node-id</c> file, so a restart is the same node and resumes its bulk uploads, which live there), and
/// the <see cref="Instance"/> is this run's, for leases that must not outlive it. On a shared store a data folder
/// belongs to one live process: it is locked for the process's life (<see cref="Conflict"/> says when it was not free).
/// </summary>
internal sealed class NodeIdentity : IDisposable
{
    private readonly FileStream? _lock;

    public NodeIdentity(string dataDirectory, bool exclusive)
    {
        Directory.CreateDirectory(dataDirectory);
        var file = Path.Combine(dataDirectory, "node-id");
        if (!File.Exists(file))
        {
            try
            {
                using var created = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
                created.Write(System.Text.Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N")));
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process on the same folder made it first.
            }
        }

        Node = File.ReadAllText(file).Trim();
        Instance = $"{Node}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
        if (exclusive)
        {
            try
            {
                // Released by the operating system when the process ends, however it ends.
                _lock = new FileStream(Path.Combine(dataDirectory, "node.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                Conflict = $"the data folder {Path.GetFullPath(dataDirectory)} is in use by another process; give each process its own (Caseline:DataDirectory)";
            }
        }
    }

    public string Node { get; }

    public string Instance { get; }

    /// <summary>Why this process may not run as this node, or null.</summary>
    public string? Conflict { get; }

    public void Dispose() => _lock?.Dispose();
}
