namespace Caseline.Server.Identity;

/// <summary>The <c>Caseline:Identity</c> configuration section.</summary>
internal sealed class IdentityOptions
{
    public const string Section = "Caseline:Identity";

    /// <summary>PBKDF2 iterations for new password and secret hashes. Default 210,000 (OWASP's 2023 advice for SHA-256 is 600,000; this keeps a logon near 100 ms on a small server).</summary>
    public int PasswordHashIterations { get; set; } = 210_000;

    /// <summary>How long an access token lives. Default 1 hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Failed logons within <see cref="LockoutWindow"/> that lock an account. Default 5.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>The window for counting failed logons. Default 15 minutes.</summary>
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Failed logons one source (an address, or an IPv6 /64) may make within <see cref="LockoutWindow"/> before each further one makes it wait. Default 10.</summary>
    public int SourceFreeFailures { get; set; } = 10;

    /// <summary>Failed logons a person may make within <see cref="LockoutWindow"/> before each further one makes the next try wait (until the lockout). Default 2.</summary>
    public int AccountFreeFailures { get; set; } = 2;

    /// <summary>The longest wait a failed logon imposes (the waits double: 1 s, 2 s, 4 s, …). Default 15 minutes.</summary>
    public TimeSpan ThrottleMaxDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a web UI session lasts without a request before it signs out. Default 30 minutes.</summary>
    public TimeSpan WebIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Requests each API client (or user) may make per <see cref="RateLimitWindow"/>. Default 6,000.</summary>
    public int RateLimitPermits { get; set; } = 6_000;

    /// <summary>The rate limit's window. Default 1 minute.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The <c>Caseline:Bootstrap</c> section: who exists after a first start on an empty database.</summary>
internal sealed class BootstrapOptions
{
    public const string Section = "Caseline:Bootstrap";

    public string AdminEmail { get; set; } = "admin@caseline.local";

    public string? AdminPassword { get; set; }

    public string DemoAgency { get; set; } = "demo";

    public string DemoClientId { get; set; } = "demo-cms";

    public string? DemoClientSecret { get; set; }

    public string DemoUserEmail { get; set; } = "officer@demo.local";

    public string? DemoUserPassword { get; set; }

    /// <summary>Development only: the demo agency's administrator, who reaches Deliveries and Administration.</summary>
    public string DemoAdminEmail { get; set; } = "admin@demo.local";

    public string? DemoAdminPassword { get; set; }
}
