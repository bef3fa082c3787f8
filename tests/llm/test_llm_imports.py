import subprocess
import sys

HEAVY = ("torch", "transformers", "tokenizers", "openai", "fastapi", "uvicorn")


def test_llm_layer_and_scaffolds_import_no_backend():
    code = ("import sys, gym_agents.llm, gym_agents.scaffolds.react, "
            "gym_agents.scaffolds.tool_calling, gym_agents.cli.main\n"
            "gym_agents.cli.main.build_parser()\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "", f"heavy modules imported: {proc.stdout.strip()}"
