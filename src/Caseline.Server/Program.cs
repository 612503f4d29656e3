using Caseline.Messages;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddProblemDetails();
builder.Services.AddHealthChecks();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/", () => TypedResults.Text("Caseline integration server\n"));
app.MapHealthChecks("/health");
app.MapGet("/schemas/client-profile-message.json", () => TypedResults.Text(MessageSchema.Text, MessageSchema.MediaType));

app.Run();

/// <summary>The server's entry point, visible to the test host.</summary>
public partial class Program;
