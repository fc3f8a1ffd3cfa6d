"""The PyTorch modules of tests/api/test_torch.py, in a module of their own so that only the
test that uses them imports torch (see there)."""

from __future__ import annotations

import torch


class DigitsNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


class InvertedResidual(torch.nn.Module):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise, 1x1 project, with the skip."""

    def __init__(self, channels: int = 8, expand: int = 6):
        super().__init__()
        wide = channels * expand
        self.block = torch.nn.Sequential(
            torch.nn.Conv2d(channels, wide, 1, bias=False), torch.nn.BatchNorm2d(wide),
            torch.nn.ReLU6(),
            torch.nn.Conv2d(wide, wide, 3, padding=1, groups=wide, bias=False),
            torch.nn.BatchNorm2d(wide), torch.nn.ReLU6(),
            torch.nn.Conv2d(wide, channels, 1, bias=False), torch.nn.BatchNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)
