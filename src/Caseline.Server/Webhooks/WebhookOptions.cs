namespace Caseline.Server.Webhooks;

/// <summary>The <c>Caseline:Webhooks</c> configuration section.</summary>
internal sealed class WebhookOptions
{
    public const string Section = "Caseline:Webhooks";

    /// <summary>
    /// Allow endpoints on private, loopback and link-local addresses, and plain <c>http</c>. Default false:
    /// a webhook must not become a way to reach the server's own network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How many deliveries may be in flight at once. Default 256.</summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>How long a receiver has to answer. Default 15 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the old secret keeps signing beside the new one after a rotation. Default 24 hours.</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often an idle dispatcher looks for work that no signal announced (due retries, other processes). Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claimed delivery stays leased to its dispatcher; after a crash it is sent again once the lease ends. Default 1 minute.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);
}
