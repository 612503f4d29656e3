namespace Caseline.Samples.CmsWorker;

/// <summary>The worker's settings (section <c>Cms</c>; environment variables <c>Cms__ClientSecret</c> and friends).</summary>
public sealed class CmsSettings
{
    /// <summary>Where Caseline runs.</summary>
    public Uri CaselineUrl { get; set; } = new("http://127.0.0.1:5000");

    /// <summary>The agency's API client.</summary>
    public string ClientId { get; set; } = "demo-cms";

    /// <summary>Its secret (printed by Caseline's first start in Development).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The integration user the guide's password grant signs in as.</summary>
    public string Username { get; set; } = "officer@demo.local";

    /// <summary>That user's password.</summary>
    public string Password { get; set; } = "";

    /// <summary>Where the mirror and the CMS database live.</summary>
    public string DataDirectory { get; set; } = "cms-data";
}
