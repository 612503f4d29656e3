using System.Text.Json;
using System.Text.Json.Serialization;
using Caseline.Client;

namespace Caseline.Cli.Profiles;

/// <summary>
/// A named server and the credentials to reach it. The secrets are kept so that long-running commands
/// (<c>listen</c>, <c>tail --follow</c>) can renew their tokens; the file holding them is readable by its owner only.
/// </summary>
internal sealed record CliProfile(string Url, string ClientId, string? ClientSecret = null, string? Username = null, string? Password = null)
{
    [JsonIgnore]
    public string Grant => Username is null ? "client_credentials" : "password";

    public CaselineCredentials Credentials() => Username is null
        ? CaselineCredentials.ClientCredentials(ClientId, ClientSecret ?? throw new CliException($"Profile for {Url} has no client secret: run caseline login, or set CASELINE_CLIENT_SECRET.", ExitCodes.Authentication))
        : CaselineCredentials.Password(ClientId, ClientSecret, Username, Password ?? throw new CliException($"No password for {Username}: run caseline login, or set CASELINE_PASSWORD.", ExitCodes.Authentication));
}

/// <summary>The configuration file: the profiles and which one is current.</summary>
internal sealed record ConfigFile
{
    public string? Current { get; init; }

    public Dictionary<string, CliProfile> Profiles { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// <c>config.json</c> in the configuration folder. Written to a new file created with mode 0600, flushed and
/// renamed over the old one, so it is never torn and never readable by others, even for an instant.
/// </summary>
internal sealed class CliConfig(string folder)
{
    public string Folder { get; } = folder;

    public string FilePath => Path.Combine(Folder, "config.json");

    /// <summary>Where a profile's <c>listen</c> consumers keep their cursors.</summary>
    public string ConsumersFolder(string profile) => Path.Combine(Folder, "consumers", profile);

    public ConfigFile Load()
    {
        if (!File.Exists(FilePath))
        {
            return new ConfigFile();
        }

        try
        {
            using var file = File.OpenRead(FilePath);
            return JsonSerializer.Deserialize(file, CliJsonContext.Default.ConfigFile) ?? new ConfigFile();
        }
        catch (JsonException e)
        {
            throw new CliException($"{FilePath} is not a valid configuration file ({e.Message}); fix it or remove it and log in again.");
        }
    }

    public void Save(ConfigFile config) =>
        WritePrivate(FilePath, file => JsonSerializer.Serialize(file, config, CliJsonContext.Default.ConfigFile));

    /// <summary>Writes a file only its owner can read, whole or not at all: a new file (mode 0600), flushed, renamed over the old one.</summary>
    public static void WritePrivate(string path, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            Directory.CreateDirectory(folder);
        }

        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A file left by an older write keeps its mode through FileMode.Create: set it again.
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
