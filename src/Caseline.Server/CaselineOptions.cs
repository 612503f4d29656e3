using System.ComponentModel.DataAnnotations;

namespace Caseline.Server;

/// <summary>The <c>Caseline</c> configuration section. Every default is the embedded, single-process setup.</summary>
internal sealed class CaselineOptions
{
    public const string Section = "Caseline";

    /// <summary>Where the SQLite database, spooled bulk uploads and Data Protection keys live. Default <c>./data</c>.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The largest request body, except bulk sync uploads. Default 1 MiB.</summary>
    [Range(1024, int.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest bulk sync upload. Default 8 GiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBulkSyncBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>The SQLite database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "caseline.db");
}
