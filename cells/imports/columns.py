"""The columns of the interchange files in the words of the people who fill them (DOMAIN.md §8).

The technical names (`so_ly_lich` …) are what the importers read; a template's header row
shows the Vietnamese heading instead, and the reader maps a heading back to its name, so a
filled template imports as it is. The wording is part of the file format — Vietnamese whatever
the UI language, like the choice labels a file carries — and so is data here, not a
translation. One heading names one column in every kind of file.
"""

# ruff: noqa: E501 — a table of headings and help texts reads best one line per column.

from dataclasses import dataclass

from ..vietnamese import nfc


@dataclass(frozen=True)
class Column:
    """One column: its technical name, its heading and what to write in it."""

    name: str
    heading: str
    help: str
    # "date", "text" (kept as text in a workbook: leading zeros), "number" or "" (free).
    format: str = ""


_DATE = "Ngày theo dạng dd/mm/yyyy, ví dụ 15/03/2010 (hoặc một ô ngày của Excel)."

COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        # Organizations (to_chuc)
        Column("ma", "Mã tổ chức", "Mã duy nhất của tổ chức đảng, ví dụ BG-AH-AH01.", "text"),
        Column("ten", "Tên tổ chức", "Tên đầy đủ, ví dụ Chi bộ ấp 1."),
        Column("loai", "Loại", "Loại tổ chức (hoặc loại sự kiện): chọn trong danh sách."),
        Column(
            "ma_cap_tren", "Mã cấp trên", "Mã tổ chức cấp trên; để trống với cấp cao nhất.", "text"
        ),
        Column(
            "co_so", "Là tổ chức cơ sở đảng", "“có” nếu là tổ chức cơ sở đảng, ngược lại “không”."
        ),
        Column("ngay_thanh_lap", "Ngày thành lập", _DATE, "date"),
        Column("ngay_giai_the", "Ngày giải thể", _DATE + " Để trống nếu còn hoạt động.", "date"),
        Column(
            "ma_ke_thua",
            "Mã tổ chức kế thừa",
            "Mã tổ chức nhận lại sau khi hợp nhất, sáp nhập.",
            "text",
        ),
        Column(
            "thon_to_dan_pho",
            "Thôn, tổ dân phố",
            "Tên các thôn, tổ dân phố chi bộ phụ trách, cách nhau bằng dấu chấm phẩy (;).",
        ),
        Column(
            "ky_hieu",
            "Ký hiệu văn bản",
            "Chữ viết tắt trên số văn bản (ĐU, CB …); để trống để tự đặt.",
        ),
        # Members (dang_vien)
        Column(
            "so_ly_lich",
            "Số lý lịch",
            "6 chữ số và 1–3 chữ cái mã tỉnh, ví dụ 012345HG. Bắt buộc, không trùng.",
            "text",
        ),
        Column("ho_ten", "Họ và tên", "Họ và tên đang dùng."),
        Column("gioi_tinh", "Giới tính", "Nam hoặc Nữ."),
        Column("ngay_sinh", "Ngày sinh", _DATE, "date"),
        Column("ma_chi_bo", "Mã chi bộ", "Mã chi bộ đảng viên đang sinh hoạt.", "text"),
        Column("ngay_vao_dang", "Ngày vào Đảng", _DATE, "date"),
        Column(
            "ngay_chinh_thuc",
            "Ngày chính thức",
            _DATE + " Để trống nếu là đảng viên dự bị.",
            "date",
        ),
        Column(
            "so_the_dang_vien", "Số thẻ đảng viên", "8 chữ số; để trống nếu chưa được cấp.", "text"
        ),
        Column(
            "cccd", "Số CCCD", "12 chữ số của căn cước công dân (giữ nguyên số 0 ở đầu).", "text"
        ),
        Column("dan_toc", "Dân tộc", "Ví dụ Kinh, Khmer, Tày."),
        Column("ton_giao", "Tôn giáo", "Để trống nếu không theo tôn giáo nào."),
        Column("trinh_do_pho_thong", "Trình độ phổ thông", "Ví dụ 12/12.", "text"),
        Column("chuyen_mon", "Chuyên môn", "Trình độ chuyên môn: chọn trong danh sách."),
        Column(
            "ly_luan_chinh_tri",
            "Lý luận chính trị",
            "Trình độ lý luận chính trị: chọn trong danh sách.",
        ),
        Column(
            "chuc_vu_dang",
            "Chức vụ Đảng",
            "Ví dụ Bí thư chi bộ; nhiều chức vụ cách nhau bằng dấu chấm phẩy.",
        ),
        Column(
            "chuc_vu_chinh_quyen",
            "Chức vụ chính quyền",
            "Ví dụ Trưởng ấp; nhiều chức vụ cách nhau bằng dấu chấm phẩy.",
        ),
        # Member events (su_kien)
        Column("tu_ngay", "Từ ngày", _DATE, "date"),
        Column(
            "den_ngay",
            "Đến ngày",
            _DATE + " Chỉ với sự kiện kéo dài (miễn, đình chỉ, nghỉ ốm, thai sản).",
            "date",
        ),
        Column("hinh_thuc", "Hình thức kỷ luật", "Chỉ với Kỷ luật: chọn trong danh sách."),
        Column(
            "tu_phat_hien_khac_phuc",
            "Tự phát hiện, khắc phục",
            "“có” nếu đảng viên tự phát hiện và đã khắc phục.",
        ),
        Column("ghi_chu", "Ghi chú", "Ghi chú tùy ý."),
        # Ratings (xep_loai)
        Column("nam", "Năm", "Năm đánh giá, ví dụ 2020. Phải trùng năm đang nhập.", "number"),
        Column(
            "muc",
            "Mức xếp loại",
            "Mức xếp loại của năm đó (tên đầy đủ hoặc viết tắt); để trống nếu không xếp loại.",
        ),
        Column(
            "ly_do_khong_xep_loai",
            "Lý do không xếp loại",
            "Bắt buộc khi để trống mức: chọn trong danh sách, hoặc ghi “Khác: …”.",
        ),
        Column(
            "diem", "Điểm", "Tổng điểm từ 0 đến 100 (từ năm 2025), ví dụ 85 hoặc 85,5.", "number"
        ),
        Column("diem_chung", "Điểm tiêu chí chung", "Từ 0 đến 30 (từ năm 2025).", "number"),
        Column("diem_nhiem_vu", "Điểm kết quả nhiệm vụ", "Từ 0 đến 70 (từ năm 2025).", "number"),
        Column(
            "doi_tuong",
            "Đối tượng",
            "Xếp loại: 2A, 2B hoặc 2C (mẫu kiểm điểm của đảng viên). Sự kiện của tổ chức: "
            "tập thể cấp ủy hoặc tổ chức.",
        ),
        Column(
            "nhom",
            "Nhóm",
            "Mã nhóm đối tượng tương đồng khi cấp quyết định tính tỷ lệ theo nhóm.",
            "text",
        ),
        Column(
            "so_quyet_dinh",
            "Số quyết định",
            "Số quyết định công nhận kết quả, ví dụ 125-QĐ/ĐU.",
            "text",
        ),
        Column("ngay_quyet_dinh", "Ngày quyết định", _DATE, "date"),
        # Organization events (su_kien_to_chuc)
        Column(
            "co_quan_quyet_dinh",
            "Cơ quan quyết định",
            "Cấp ủy hoặc ủy ban kiểm tra quyết định kỷ luật, ví dụ Ban Thường vụ Tỉnh ủy.",
        ),
        # Posts (chuc_vu)
        Column(
            "ma_to_chuc",
            "Mã tổ chức giữ chức vụ",
            "Mã tổ chức có cấp ủy hoặc cơ quan của chức vụ: ủy viên đảng ủy ghi mã đảng bộ, "
            "không ghi mã chi bộ.",
            "text",
        ),
        Column(
            "chuc_vu",
            "Chức vụ",
            "Chức vụ Đảng (chọn trong danh sách) hoặc chức vụ chính quyền, đoàn thể (ghi rõ).",
        ),
    )
}


def _key(text: str) -> str:
    return nfc(text).casefold()


HEADINGS: dict[str, str] = {_key(c.heading): c.name for c in COLUMNS.values()}
assert len(HEADINGS) == len(COLUMNS), "two columns share a heading"  # noqa: S101


def column(name: str) -> Column:
    """The column of a technical name (a bare one for a name this vocabulary lacks)."""
    return COLUMNS.get(name) or Column(name, name, "")


def header_name(text: str) -> str:
    """A header cell as the column name the importers read: a heading of a template is
    mapped back to its technical name; any other text is folded to lower case."""
    key = _key(text)
    return HEADINGS.get(key, key)
