using System.Text;
using Caseline.Cli.Profiles;
using Caseline.Client.Consumer;
using Caseline.Client.Webhooks;

namespace Caseline.Cli.Feed;

/// <summary>
/// A named <c>listen</c> consumer of one profile: its cursor (the SDK's <see cref="FileCheckpointStore"/>,
/// written atomically after each message the local receiver took) and its local signing secret, both in
/// the profile's consumers folder.
/// </summary>
internal sealed class Listener : IDisposable
{
    private readonly string _secretPath;

    public Listener(string folder, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains("..", StringComparison.Ordinal))
        {
            throw new CliException($"'{name}' cannot name a consumer: use letters, digits, '-' or '_'.", ExitCodes.Usage);
        }

        Name = name;
        _secretPath = Path.Combine(folder, name + ".secret");
        Checkpoints = new FileCheckpointStore(folder);
    }

    public string Name { get; }

    public FileCheckpointStore Checkpoints { get; }

    /// <summary>Whether this consumer has run before (its secret was made).</summary>
    public bool Exists => File.Exists(_secretPath);

    /// <summary>The consumer's signing secret, made (and kept) on first use.</summary>
    public string Secret()
    {
        if (Exists)
        {
            return File.ReadAllText(_secretPath).Trim();
        }

        var secret = CaselineWebhook.NewSecret();
        CliConfig.WritePrivate(_secretPath, file => file.Write(Encoding.UTF8.GetBytes(secret)));
        return secret;
    }

    public void Dispose() => Checkpoints.Dispose();
}
