"""`manage.py seed_demo`: the fictional demo province and one login per role (idempotent).

The data is built by assessments.demo.seed; this command only reports. The password it prints
is for the demo only: never run this command on a real installation.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from assessments.demo import province as demo
from assessments.demo.seed import demo_seed_all
from cells.choices import Role


class Command(BaseCommand):
    help = (
        "Build the fictional demo province (once: a second run changes nothing) and print "
        "the demo logins. Demo only: the logins share a published password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Members per cell relative to the default demo (about 1,600 members).",
        )

    def handle(self, *args, scale: float, **options):
        if settings.IS_PRODUCTION:
            # The logins share a published password: they must never reach a real server.
            raise CommandError("seed_demo is for the demo only (DJANGO_ENV=production).")
        started = time.monotonic()

        def province_done(plan: demo.DemoPlan | None) -> None:
            if plan is None:
                self.stdout.write(f"Dữ liệu mẫu đã có sẵn ({demo.PROVINCE_NAME}): không tạo thêm.")
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Đã tạo dữ liệu mẫu: {len(plan.persons)} đảng viên "
                        f"trong {time.monotonic() - started:.1f} giây."
                    )
                )

        result = demo_seed_all(
            today=timezone.localdate(),
            scale=scale,
            log=self.stdout.write,
            stdout=self.stdout,
            province_done=province_done,
        )
        rows = [
            (
                spec.username,
                demo.DEMO_PASSWORD,
                self._role_label(spec),
                unit.name if unit is not None else f"{spec.unit_code} (không có)",
            )
            for spec, unit in result.users
        ]
        if result.rated:
            rated, years = result.rated, result.years
            self.stdout.write(
                f"Đã tạo {rated} kết quả xếp loại đảng viên ({years[0]}–{years[-1]})."
            )
        self.stdout.write("")
        self.stdout.write("Tài khoản dùng thử (chỉ để trình diễn, không dùng cho hệ thống thật):")
        header = ("Tên đăng nhập", "Mật khẩu", "Vai trò", "Đơn vị")
        widths = [max(len(str(row[n])) for row in [header, *rows]) for n in range(3)]
        for row in [header, *rows]:
            cells = [str(value).ljust(width) for value, width in zip(row, widths, strict=False)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))

    @staticmethod
    def _role_label(spec: demo.DemoUser) -> str:
        with translation.override("vi"):
            label = str(Role(spec.role).label)
        if spec.superuser:
            label += " (superuser)"
        if spec.start or spec.end:
            start = spec.start.strftime("%d/%m/%Y") if spec.start else "…"
            end = spec.end.strftime("%d/%m/%Y") if spec.end else "…"
            label += f", {start}–{end}"
        return label
