using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>
/// On a first start with no users: the platform administrator, the first-party public client and, in
/// Development, a demo agency with an API client, an officer and an administrator. Values not configured are generated
/// and printed once to the console; they are never logged and cannot be read back.
/// </summary>
internal sealed partial class Bootstrap(
    IdentityStorage storage, WriteQueue writes, IdentityStore identity, IHostEnvironment environment, IOptions<BootstrapOptions> options, ILogger<Bootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (storage.AnyUsers())
        {
            return;
        }

        var settings = options.Value;
        var adminPassword = settings.AdminPassword ?? PasswordHashing.NewSecret();
        var demo = environment.IsDevelopment();
        var demoSecret = settings.DemoClientSecret ?? PasswordHashing.NewSecret(32);
        var demoPassword = settings.DemoUserPassword ?? PasswordHashing.NewSecret();
        var demoAdminPassword = settings.DemoAdminPassword ?? PasswordHashing.NewSecret();
        var hashes = (Admin: identity.Hash(adminPassword), Client: identity.Hash(demoSecret), User: identity.Hash(demoPassword));
        var demoAdminHash = demo ? identity.Hash(demoAdminPassword) : null;

        var created = await writes.RunAsync(scope =>
        {
            scope.Database.LockNamed(scope, "bootstrap");
            if (storage.AnyUsers(scope))
            {
                return false;
            }

            IdentityStore.InsertUser(scope, null, settings.AdminEmail, Roles.PlatformAdministrator, hashes.Admin);
            IdentityStore.InsertClient(scope, null, IdentityStore.PublicClientId, "Caseline", secretHash: null);
            if (demo)
            {
                var agency = IdentityStore.InsertAgency(scope, settings.DemoAgency)
                    ?? storage.AgencyId(scope, settings.DemoAgency);
                IdentityStore.InsertClient(scope, agency, settings.DemoClientId, settings.DemoClientId, hashes.Client);
                IdentityStore.InsertUser(scope, agency, settings.DemoUserEmail, Roles.Officer, hashes.User);
                IdentityStore.InsertUser(scope, agency, settings.DemoAdminEmail, Roles.AgencyAdministrator, demoAdminHash!);
            }

            return true;
        }, cancellationToken);

        if (!created)
        {
            return;
        }

        LogBootstrapped(demo);
        // Straight to the console, not the log: the operator needs these once, and logs are kept and shipped.
        var lines = new List<string> { "Caseline bootstrap: first start on an empty database." };
        if (settings.AdminPassword is null)
        {
            lines.Add($"  Platform administrator {settings.AdminEmail}, password: {adminPassword}");
        }

        if (demo && settings.DemoClientSecret is null)
        {
            lines.Add($"  Demo agency '{settings.DemoAgency}': API client {settings.DemoClientId}, secret: {demoSecret}");
        }

        if (demo && settings.DemoUserPassword is null)
        {
            lines.Add($"  Demo officer {settings.DemoUserEmail}, password: {demoPassword}");
        }

        if (demo && settings.DemoAdminPassword is null)
        {
            lines.Add($"  Demo agency administrator {settings.DemoAdminEmail}, password: {demoAdminPassword}");
        }

        if (lines.Count > 1)
        {
            lines.Add("  These are shown only now.");
            await Console.Out.WriteLineAsync(string.Join(Environment.NewLine, lines));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Bootstrapped the platform administrator (demo agency: {Demo})")]
    private partial void LogBootstrapped(bool demo);
}
